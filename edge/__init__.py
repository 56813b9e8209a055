"""Lane controller for intelligent environmental gates (智能环保门禁)."""
__version__ = "0.1.0"
