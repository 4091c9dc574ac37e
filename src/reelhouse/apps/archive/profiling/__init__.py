"""What an archived file is: profilers that read its facts (kind, format, duration) and thumbnails.

Every function here is synchronous and picklable, made to run in worker processes.
"""
