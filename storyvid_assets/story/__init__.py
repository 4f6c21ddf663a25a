"""Story writing: the procedural local writer (``writer``), operator scripts (``script``) and the vocabulary
both draw on (``vocabulary``, data in ``data/*.yaml``)."""
