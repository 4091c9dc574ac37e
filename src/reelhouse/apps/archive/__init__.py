"""The archive: every file enters Reelhouse here, is stored once, probed and found again."""
