from teslasync.cli import main

main()
