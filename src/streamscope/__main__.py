from streamscope.cli import main

raise SystemExit(main())
