"""The fuzz suite: every reader of user data (validate, organize, the index on both
engines, the ChatDev importer, config.yaml and prompt files) run over a corpus of named
bad inputs (``corpus.py``) and over generated event lines (``test_properties.py``).

Each case must end with exit 0 or 1 and no traceback (an exit 1 names the file, line or
field), within a time limit, with the raw files byte for byte as they were, and with
the index holding exactly the events ``validate`` accepts."""
