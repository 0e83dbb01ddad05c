"""``python -m keras_rescaling_patch``: the same command line as the script."""

from keras_rescaling_patch.cli.main import main

raise SystemExit(main())
