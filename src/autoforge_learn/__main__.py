from autoforge_learn.cli import main

main()
