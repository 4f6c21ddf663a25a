"""Audio helpers: WAV I/O, synthesis and measurement with numpy."""
