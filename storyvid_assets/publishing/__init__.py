"""Publishing helpers shared by every uploader: platform limits (``limits``), metadata (``metadata``) and
the local library (``library``)."""
