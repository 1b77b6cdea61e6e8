"""Sphinx configuration of the pyg_vgae documentation."""
import pyg_vgae

project = "pyg_vgae"
release = pyg_vgae.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
exclude_patterns = ["_build"]
html_theme = "alabaster"
nitpicky = False
