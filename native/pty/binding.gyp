{
  "targets": [
    {
      "target_name": "pty",
      "sources": ["src/pty.c", "src/termios2.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra"]
    }
  ]
}
