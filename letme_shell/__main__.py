from letme_shell.cli import main

raise SystemExit(main())
