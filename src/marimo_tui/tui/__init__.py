"""The Textual views: the only layer that imports textual."""
