from cluster_assistant.bots.cli import main

raise SystemExit(main())
