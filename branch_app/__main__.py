from branch_app.cli import main

raise SystemExit(main())
