from costctl.cli.app import main

main()
