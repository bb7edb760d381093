"""`python -m autograd_cli`: the same as the `autograd-core` console script."""

from .cli import main

raise SystemExit(main())
