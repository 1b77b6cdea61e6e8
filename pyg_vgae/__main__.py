"""``python -m pyg_vgae``: the ``pyg-vgae`` command."""
from .launch import main

main()
