/*
 * Pseudo-terminal pairs for the simulated BM13xx chains (workshop code: never installed on a miner).
 *
 * openPty() allocates a pair with posix_openpt/grantpt/unlockpt (POSIX.1-2008, XSH "posix_openpt"),
 * opens the slave once itself and puts it in raw mode (cfmakeraw: no echo, no line discipline, 8 data
 * bits), then returns the master descriptor, that slave descriptor and the slave's path. The host opens
 * the path with the real serialport binding, exactly as it opens /dev/ttyS0 on a board; the simulator
 * reads and writes the master. The simulator keeps its own slave descriptor open for the life of the
 * pair: on Linux a read on the master fails with EIO whenever no slave descriptor is open (drivers/tty/
 * pty.c), which would happen each time the host closes and reopens the port (a chain re-init).
 *
 * termiosBaud(fd) is in termios2.c: it cannot share a file with <termios.h>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

napi_value termios_baud(napi_env env, napi_callback_info info);

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "EPTY", msg);
  return NULL;
}

static napi_value open_pty(napi_env env, napi_callback_info info) {
  (void)info;
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0) return throw_errno(env, "posix_openpt", errno);
  if (fcntl(master, F_SETFD, FD_CLOEXEC) < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
    int err = errno;
    close(master);
    return throw_errno(env, "grantpt/unlockpt", err);
  }
  char path[128];
  if (ptsname_r(master, path, sizeof path) != 0) {
    int err = errno;
    close(master);
    return throw_errno(env, "ptsname_r", err);
  }
  int slave = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) {
    int err = errno;
    close(master);
    return throw_errno(env, path, err);
  }
  struct termios t;
  if (tcgetattr(slave, &t) < 0) goto fail;
  cfmakeraw(&t);
  t.c_cflag |= CLOCAL | CREAD;
  if (tcsetattr(slave, TCSANOW, &t) < 0) goto fail;

  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_int32(env, master, &v);
  napi_set_named_property(env, out, "masterFd", v);
  napi_create_int32(env, slave, &v);
  napi_set_named_property(env, out, "slaveFd", v);
  napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, out, "path", v);
  return out;

fail: {
  int err = errno;
  close(slave);
  close(master);
  return throw_errno(env, "raw mode on the slave", err);
}
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "openPty", NAPI_AUTO_LENGTH, open_pty, NULL, &fn);
  napi_set_named_property(env, exports, "openPty", fn);
  napi_create_function(env, "termiosBaud", NAPI_AUTO_LENGTH, termios_baud, NULL, &fn);
  napi_set_named_property(env, exports, "termiosBaud", fn);
  return exports;
}
