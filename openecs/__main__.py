from openecs.cli import main

main()
