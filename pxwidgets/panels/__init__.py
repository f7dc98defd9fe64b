"""anywidget panels: thin views over the pattern library. One module per panel."""

from pxwidgets.panels.table_browser import TableBrowser

__all__ = ['TableBrowser']
