"""The apps: each one a folder with the same files, standing on the platform."""
