"""autograd_cli: the `autograd-core` command-line app (`train`, `grad`, `sweep`) and its expression parser.

The app sits on top of the layers it uses: it imports `autograd_core` (the engine), `nn` and `optim`;
none of them imports it. Run it as `autograd-core ...` (the console script) or `python -m autograd_cli ...`.

Modules: `cli` (the command and `main`), `cli_sequences` (sequence models for `train --model ...`),
`expr` (the safe math-expression parser behind `grad`), `sweep` (`autograd-core sweep` and its Python
form `autograd_cli.sweep.grid_search`).
"""

import os as _os

from autograd_core.graph import register_library_location as _register_library_location

# Frames in the app are library frames: an op's reported "user location" is the caller outside it.
_register_library_location(_os.path.dirname(_os.path.abspath(__file__)))

