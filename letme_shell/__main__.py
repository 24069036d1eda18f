from letme_shell.entry import main

raise SystemExit(main())
