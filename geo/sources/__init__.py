"""One reader per external format. Each returns frames in the models of :mod:`geo.schema`."""
