// Anchor for the shared precompiled LibTorch header.
