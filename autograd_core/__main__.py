"""`python -m autograd_core`: the same as the `autograd-core` console script."""

from .cli import main

raise SystemExit(main())
