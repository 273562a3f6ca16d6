/*
 * termiosBaud(fd): the line's input and output rates as the kernel holds them. On Linux TCGETS2 returns
 * struct termios2, whose c_ispeed/c_ospeed carry any rate (BOTHER), including the 1,000,000 and
 * 3,125,000 that serialport sets on a BM13xx chain; called on a pty master it answers for the slave
 * (drivers/tty/tty_ioctl.c, tty_mode_ioctl: a pty master's termios requests go to its link). The
 * simulator uses it to see the rate the host really set. Elsewhere it answers with the classic
 * cfgetispeed/cfgetospeed values.
 */
#include <errno.h>
#include <node_api.h>
#include <string.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <asm/termbits.h>
#else
#include <termios.h>
#endif

napi_value termios_baud(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd = -1;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "termiosBaud(fd): fd must be a number");
    return NULL;
  }
  unsigned long ispeed, ospeed;
#ifdef __linux__
  struct termios2 t;
  if (ioctl(fd, TCGETS2, &t) < 0) {
    napi_throw_error(env, "EPTY", strerror(errno));
    return NULL;
  }
  ispeed = t.c_ispeed;
  ospeed = t.c_ospeed;
#else
  struct termios t;
  if (tcgetattr(fd, &t) < 0) {
    napi_throw_error(env, "EPTY", strerror(errno));
    return NULL;
  }
  ispeed = (unsigned long)cfgetispeed(&t);
  ospeed = (unsigned long)cfgetospeed(&t);
#endif
  napi_value out, v;
  napi_create_object(env, &out);
  napi_create_double(env, (double)ispeed, &v);
  napi_set_named_property(env, out, "input", v);
  napi_create_double(env, (double)ospeed, &v);
  napi_set_named_property(env, out, "output", v);
  return out;
}
