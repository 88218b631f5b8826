/* The smallest app that embeds ternrt: fills input 0 with a constant, runs, prints output 0.
 *   consumer MODEL.tern VALUE
 * Built by check_install.py against an installed tree with find_package(ternrt) and pkg-config. */
#include <stdio.h>
#include <stdlib.h>

#include <ternrt/ternrt.h>

static int fail(const char* what, ternrt_status status) {
  fprintf(stderr, "consumer: %s: %s: %s\n", what, ternrt_status_name(status), ternrt_last_error());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: consumer MODEL.tern VALUE\n");
    return 2;
  }
  uint32_t major = 0, minor = 0;
  ternrt_format_version(&major, &minor);
  printf("ternrt %s, format %u.%u\n", ternrt_version(), (unsigned)major, (unsigned)minor);

  ternrt_model* model = NULL;
  ternrt_status status = ternrt_model_load_file(argv[1], &model);
  if (status != TERNRT_OK) return fail("load", status);
  ternrt_interpreter* interpreter = NULL;
  status = ternrt_interpreter_create(model, NULL, &interpreter);
  if (status != TERNRT_OK) return fail("create", status);

  ternrt_tensor_info in, out;
  if ((status = ternrt_interpreter_input_info(interpreter, 0, &in)) != TERNRT_OK) return fail("input_info", status);
  if ((status = ternrt_interpreter_output_info(interpreter, 0, &out)) != TERNRT_OK) return fail("output_info", status);
  float* x = malloc(in.bytes);
  float* y = malloc(out.bytes);
  for (size_t i = 0; i < in.bytes / sizeof(float); ++i) x[i] = (float)atof(argv[2]);
  if ((status = ternrt_interpreter_set_input(interpreter, 0, x, in.bytes)) != TERNRT_OK) return fail("set_input", status);
  if ((status = ternrt_interpreter_invoke(interpreter)) != TERNRT_OK) return fail("invoke", status);
  if ((status = ternrt_interpreter_get_output(interpreter, 0, y, out.bytes)) != TERNRT_OK) return fail("get_output", status);
  for (size_t i = 0; i < out.bytes / sizeof(float); ++i) printf("%.9g\n", y[i]);

  free(x);
  free(y);
  ternrt_interpreter_delete(interpreter);
  ternrt_model_delete(model);
  return 0;
}
