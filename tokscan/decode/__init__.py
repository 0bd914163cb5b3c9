"""Decoders: keys in the forms a leak takes (`base64`, UTF-16/32 `text`, `archive` members)."""
