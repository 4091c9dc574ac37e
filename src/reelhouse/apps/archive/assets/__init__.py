"""Assets: files taken in once per content, probed, found and served."""
