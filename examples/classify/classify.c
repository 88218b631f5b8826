/* classify: runs an image classifier stored as a .tern model on one image and prints the top-5.
 *
 *   classify [--threads N] [--top K] MODEL.tern IMAGE
 *
 * IMAGE is a PNG, JPEG, PGM/PPM, BMP (anything stb_image decodes) or an .npy array:
 *   - images are preprocessed as the model's metadata says (ternrt-convert --input-mean/--input-std
 *     and --metadata KEY=VALUE store it):
 *       input shape  (1, H, W, C) of input 0 (NHWC, as the runtime stores it): the image is resized
 *                    to H x W and read as gray (C = 1), RGB (C = 3) or RGBA (C = 4)
 *       input.resize          "bilinear" (default, half-pixel centres) or "nearest"
 *       input.channel_order   "RGB" (default) or "BGR" when C = 3
 *       input.mean, input.std one value or C comma-separated values; x = (pixel / 255 - mean) / std
 *       labels                comma-separated class names for the output indices
 *   - a float32 .npy is taken as the already preprocessed input: NHWC, or NCHW when the metadata
 *     says source_layout=NCHW (models converted from ONNX); a uint8 .npy of shape (H, W) or
 *     (H, W, C) is treated like a decoded image.
 *
 * The program shows the whole C API life cycle: load a model, create an interpreter, query the
 * input, set it, invoke, read the output, delete both. Docs: docs/api.md.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "ternrt/ternrt.h"

#define MAX_CHANNELS 4

/* Prints the failed call, the status and the runtime's message; returns 1 for main. */
static int report_failure(const char* what, ternrt_status status) {
  fprintf(stderr, "classify: %s failed: %s: %s\n", what, ternrt_status_name(status), ternrt_last_error());
  return 1;
}

static int ends_with(const char* s, const char* suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Parses "a,b,c" into values; returns the count, or -1 (with a message) on a malformed list. */
static int parse_floats(const char* text, const char* what, float* values, int max_values) {
  int count = 0;
  const char* p = text;
  for (;;) {
    char* end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno != 0 || !isfinite(v)) {
      fprintf(stderr, "classify: metadata %s = '%s': expected comma-separated numbers\n", what, text);
      return -1;
    }
    if (count == max_values) {
      fprintf(stderr, "classify: metadata %s = '%s': more than %d values\n", what, text, max_values);
      return -1;
    }
    values[count++] = (float)v;
    while (*end == ' ') ++end;
    if (*end == '\0') return count;
    if (*end != ',') {
      fprintf(stderr, "classify: metadata %s = '%s': unexpected '%c'\n", what, text, *end);
      return -1;
    }
    p = end + 1;
  }
}

/* Per-channel mean/std from the metadata (defaults 0 and 1); one value applies to all channels. */
static int read_normalization(const ternrt_model* model, int channels, float* mean, float* stddev) {
  const char* keys[2] = {"input.mean", "input.std"};
  float* out[2] = {mean, stddev};
  for (int k = 0; k < 2; ++k) {
    for (int c = 0; c < channels; ++c) out[k][c] = k == 0 ? 0.0f : 1.0f;
    const char* text = ternrt_model_metadata(model, keys[k]);
    if (!text) continue;
    float values[MAX_CHANNELS];
    int n = parse_floats(text, keys[k], values, MAX_CHANNELS);
    if (n < 0) return -1;
    if (n != 1 && n != channels) {
      fprintf(stderr, "classify: metadata %s has %d values, the model input has %d channels (expected 1 or %d)\n",
              keys[k], n, channels, channels);
      return -1;
    }
    for (int c = 0; c < channels; ++c) out[k][c] = values[n == 1 ? 0 : c];
  }
  for (int c = 0; c < channels; ++c) {
    if (!(stddev[c] > 0.0f)) {
      fprintf(stderr, "classify: metadata input.std: channel %d is %g, expected a positive value\n", c, stddev[c]);
      return -1;
    }
  }
  return 0;
}

/* Samples channel c of an 8-bit interleaved image at (x, y) in destination coordinates. */
static float sample(const unsigned char* pixels, int width, int height, int channels, int c, int dst_x, int dst_y,
                    int dst_w, int dst_h, int bilinear) {
  const float sx = (float)width / (float)dst_w, sy = (float)height / (float)dst_h;
  if (!bilinear) {
    int x = (int)((dst_x + 0.5f) * sx), y = (int)((dst_y + 0.5f) * sy);
    if (x >= width) x = width - 1;
    if (y >= height) y = height - 1;
    return pixels[((size_t)y * width + x) * channels + c];
  }
  /* Half-pixel centres (as OpenCV INTER_LINEAR / PyTorch align_corners=False), clamped at edges. */
  float fx = (dst_x + 0.5f) * sx - 0.5f, fy = (dst_y + 0.5f) * sy - 0.5f;
  if (fx < 0) fx = 0;
  if (fy < 0) fy = 0;
  int x0 = (int)fx, y0 = (int)fy;
  if (x0 > width - 1) x0 = width - 1;
  if (y0 > height - 1) y0 = height - 1;
  const int x1 = x0 + 1 < width ? x0 + 1 : x0, y1 = y0 + 1 < height ? y0 + 1 : y0;
  const float ax = fx - x0, ay = fy - y0;
#define PIX(xx, yy) ((float)pixels[((size_t)(yy) * width + (xx)) * channels + c])
  const float top = PIX(x0, y0) + ax * (PIX(x1, y0) - PIX(x0, y0));
  const float bottom = PIX(x0, y1) + ax * (PIX(x1, y1) - PIX(x0, y1));
#undef PIX
  return top + ay * (bottom - top);
}

/* Decoded 8-bit pixels -> the model's NHWC float input, as the metadata says. */
static int preprocess(const ternrt_model* model, const unsigned char* pixels, int width, int height, int channels,
                      int in_h, int in_w, float* input) {
  float mean[MAX_CHANNELS], stddev[MAX_CHANNELS];
  if (read_normalization(model, channels, mean, stddev) != 0) return -1;
  const char* resize = ternrt_model_metadata(model, "input.resize");
  if (resize && strcmp(resize, "bilinear") != 0 && strcmp(resize, "nearest") != 0) {
    fprintf(stderr, "classify: metadata input.resize = '%s': expected bilinear or nearest\n", resize);
    return -1;
  }
  const int bilinear = !resize || strcmp(resize, "bilinear") == 0;
  const char* order = ternrt_model_metadata(model, "input.channel_order");
  if (order && strcmp(order, "RGB") != 0 && strcmp(order, "BGR") != 0) {
    fprintf(stderr, "classify: metadata input.channel_order = '%s': expected RGB or BGR\n", order);
    return -1;
  }
  const int bgr = order && strcmp(order, "BGR") == 0 && channels >= 3;
  for (int y = 0; y < in_h; ++y) {
    for (int x = 0; x < in_w; ++x) {
      for (int c = 0; c < channels; ++c) {
        const int src_c = bgr && c < 3 ? 2 - c : c;
        const float v = sample(pixels, width, height, channels, src_c, x, y, in_w, in_h, bilinear);
        input[((size_t)y * in_w + x) * channels + c] = (v / 255.0f - mean[c]) / stddev[c];
      }
    }
  }
  return 0;
}

/* A parsed .npy file: little-endian float32 or uint8, C order. */
typedef struct npy_array {
  int is_float;
  int rank;
  long shape[8];
  size_t count;
  void* data;
} npy_array;

static int read_npy(const char* path, npy_array* a) {
  memset(a, 0, sizeof *a);
  FILE* f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "classify: %s: cannot open: %s\n", path, strerror(errno));
    return -1;
  }
  unsigned char head[10];
  char dict[4096];
  int ok = fread(head, 1, 10, f) == 10 && memcmp(head, "\x93NUMPY", 6) == 0 && head[6] == 1;
  size_t header_len = ok ? (size_t)head[8] | ((size_t)head[9] << 8) : 0;
  ok = ok && header_len < sizeof dict && fread(dict, 1, header_len, f) == header_len;
  if (!ok) {
    fprintf(stderr, "classify: %s: not a version 1 .npy file\n", path);
    fclose(f);
    return -1;
  }
  dict[header_len] = '\0';
  const char* descr = strstr(dict, "'descr':");
  const char* fortran = strstr(dict, "'fortran_order':");
  const char* shape = strstr(dict, "'shape':");
  if (!descr || !fortran || !shape) {
    fprintf(stderr, "classify: %s: .npy header lacks descr, fortran_order or shape: %s\n", path, dict);
    fclose(f);
    return -1;
  }
  const char* dtype = strchr(descr + 8, '\'');  /* the quoted dtype after 'descr': */
  if (dtype && strncmp(dtype, "'<f4'", 5) == 0) {
    a->is_float = 1;
  } else if (dtype && strncmp(dtype, "'|u1'", 5) == 0) {
    a->is_float = 0;
  } else {
    fprintf(stderr, "classify: %s: unsupported .npy dtype in %s (expected '<f4' float32 or '|u1' uint8)\n", path,
            dict);
    fclose(f);
    return -1;
  }
  const char* order = fortran + strlen("'fortran_order':");
  while (*order == ' ') ++order;
  if (strncmp(order, "False", 5) != 0) {
    fprintf(stderr, "classify: %s: Fortran-order .npy arrays are not supported\n", path);
    fclose(f);
    return -1;
  }
  const char* p = strchr(shape, '(');
  a->count = 1;
  for (p = p ? p + 1 : NULL; p;) {
    while (*p == ' ' || *p == ',') ++p;
    if (*p == ')') break;
    char* end = NULL;
    long d = strtol(p, &end, 10);
    if (end == p || d <= 0 || a->rank == 8 || a->count > ((size_t)1 << 30) / (size_t)d) {
      fprintf(stderr, "classify: %s: unsupported .npy shape in %s\n", path, dict);
      fclose(f);
      return -1;
    }
    a->shape[a->rank++] = d;
    a->count *= (size_t)d;
    p = end;
  }
  if (!p) {
    fprintf(stderr, "classify: %s: malformed .npy shape in %s\n", path, dict);
    fclose(f);
    return -1;
  }
  const size_t elem = a->is_float ? 4 : 1;
  a->data = malloc(a->count * elem);
  if (!a->data || fread(a->data, elem, a->count, f) != a->count) {
    fprintf(stderr, "classify: %s: expected %zu elements of %zu bytes after the header\n", path, a->count, elem);
    free(a->data);
    a->data = NULL;
    fclose(f);
    return -1;
  }
  fclose(f);
  return 0;
}

/* Fills the NHWC input from a float .npy (NHWC, or NCHW when the source model was NCHW). */
static int input_from_float_npy(const ternrt_model* model, const npy_array* a, const int32_t* shape, float* input,
                                const char* path) {
  const long n = shape[0], h = shape[1], w = shape[2], c = shape[3];
  const char* layout = ternrt_model_metadata(model, "source_layout");
  const int nchw = layout && strcmp(layout, "NCHW") == 0;
  const long want[4] = {n, nchw ? c : h, nchw ? h : w, nchw ? w : c};
  int match = a->rank == 4;
  for (int i = 0; match && i < 4; ++i) match = a->shape[i] == want[i];
  if (!match) {
    fprintf(stderr, "classify: %s: expected a float32 array of shape (%ld, %ld, %ld, %ld) (%s, the %s layout)\n", path,
            want[0], want[1], want[2], want[3], nchw ? "NCHW" : "NHWC", nchw ? "source model's" : "runtime's");
    return -1;
  }
  const float* src = (const float*)a->data;
  if (!nchw) {
    memcpy(input, src, a->count * sizeof(float));
    return 0;
  }
  for (long b = 0; b < n; ++b)
    for (long ch = 0; ch < c; ++ch)
      for (long y = 0; y < h; ++y)
        for (long x = 0; x < w; ++x) input[((b * h + y) * w + x) * c + ch] = src[((b * c + ch) * h + y) * w + x];
  return 0;
}

/* Loads IMAGE into the model's input buffer (NHWC float). */
static int load_input(const ternrt_model* model, const char* path, const int32_t* shape, float* input) {
  const int in_h = shape[1], in_w = shape[2], channels = shape[3];
  if (ends_with(path, ".npy")) {
    npy_array a;
    if (read_npy(path, &a) != 0) return -1;
    int rc = -1;
    if (a.is_float) {
      rc = input_from_float_npy(model, &a, shape, input, path);
    } else if ((a.rank == 2 && channels == 1) || (a.rank == 3 && a.shape[2] == channels)) {
      rc = preprocess(model, (const unsigned char*)a.data, (int)a.shape[1], (int)a.shape[0], channels, in_h, in_w,
                      input);
    } else {
      fprintf(stderr, "classify: %s: a uint8 .npy image must have shape (H, W) or (H, W, %d) for this model\n", path,
              channels);
    }
    free(a.data);
    return rc;
  }
  int width = 0, height = 0, file_channels = 0;
  /* stb_image converts to the requested channel count (RGB -> gray uses its luma weights). */
  unsigned char* pixels = stbi_load(path, &width, &height, &file_channels, channels);
  if (!pixels) {
    fprintf(stderr, "classify: %s: cannot decode the image: %s (PNG, JPEG, PGM/PPM, BMP or .npy expected)\n", path,
            stbi_failure_reason());
    return -1;
  }
  int rc = preprocess(model, pixels, width, height, channels, in_h, in_w, input);
  stbi_image_free(pixels);
  return rc;
}

/* Label `index` from the comma-separated metadata list into buf (empty when absent). */
static void label_name(const char* labels, size_t index, char* buf, size_t buf_size) {
  buf[0] = '\0';
  if (!labels) return;
  const char* p = labels;
  for (size_t i = 0; i < index; ++i) {
    p = strchr(p, ',');
    if (!p) return;
    ++p;
  }
  size_t len = strcspn(p, ",");
  if (len >= buf_size) len = buf_size - 1;
  memcpy(buf, p, len);
  buf[len] = '\0';
}

static size_t count_labels(const char* labels) {
  size_t n = 1;
  for (const char* p = labels; *p; ++p) n += *p == ',';
  return n;
}

static int parse_count(const char* flag, const char* text, long max, long* value) {
  char* end = NULL;
  long v = strtol(text, &end, 10);
  if (end == text || *end || v < 1 || v > max) {
    fprintf(stderr, "classify: %s: expected an integer in [1, %ld], got '%s'\n", flag, max, text);
    return -1;
  }
  *value = v;
  return 0;
}

static const char kUsage[] =
    "usage: classify [--threads N] [--top K] MODEL.tern IMAGE\n"
    "  IMAGE: PNG, JPEG, PGM/PPM, BMP or .npy; preprocessed as the model's metadata says\n"
    "  (input.mean, input.std, input.resize, input.channel_order, labels; see docs/api.md)\n";

int main(int argc, char** argv) {
  const char* model_path = NULL;
  const char* image_path = NULL;
  long threads = 1, top = 5;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(kUsage, stdout);
      return 0;
    } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      if (parse_count("--threads", argv[++i], 256, &threads) != 0) return 2;
    } else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
      if (parse_count("--top", argv[++i], 100000, &top) != 0) return 2;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "classify: unknown or incomplete option '%s'\n%s", argv[i], kUsage);
      return 2;
    } else if (!model_path) {
      model_path = argv[i];
    } else if (!image_path) {
      image_path = argv[i];
    } else {
      fprintf(stderr, "classify: unexpected argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (!model_path || !image_path) {
    fputs(kUsage, stderr);
    return 2;
  }

  /* 1. Load and verify the model. It stays valid until ternrt_model_delete. */
  ternrt_model* model = NULL;
  ternrt_status status = ternrt_model_load_file(model_path, &model);
  if (status != TERNRT_OK) return report_failure("loading the model", status);

  /* 2. One interpreter per thread that runs the model. */
  ternrt_interpreter_options options;
  ternrt_interpreter_options_init(&options);
  options.num_threads = (uint32_t)threads;
  ternrt_interpreter* interpreter = NULL;
  status = ternrt_interpreter_create(model, &options, &interpreter);
  if (status != TERNRT_OK) {
    ternrt_model_delete(model);
    return report_failure("creating the interpreter", status);
  }

  int rc = 1;
  float* input = NULL;
  float* scores = NULL;
  ternrt_tensor_info in_info, out_info;
  if ((status = ternrt_interpreter_input_info(interpreter, 0, &in_info)) != TERNRT_OK) {
    rc = report_failure("reading input 0", status);
    goto done;
  }
  if (in_info.type != TERNRT_F32 || in_info.rank != 4 || in_info.shape[0] != 1 || in_info.shape[3] < 1 ||
      in_info.shape[3] > MAX_CHANNELS) {
    fprintf(stderr,
            "classify: %s: input '%s' must be float32 NHWC (1, H, W, C) with 1 to %d channels for an image "
            "classifier (rank %u, type %d)\n",
            model_path, in_info.name, MAX_CHANNELS, in_info.rank, (int)in_info.type);
    goto done;
  }
  input = malloc(in_info.bytes);
  if (!input) {
    fprintf(stderr, "classify: out of memory for the %zu-byte input\n", in_info.bytes);
    goto done;
  }
  if (load_input(model, image_path, in_info.shape, input) != 0) goto done;

  /* 3. Set the input, run, read the output. */
  if ((status = ternrt_interpreter_set_input(interpreter, 0, input, in_info.bytes)) != TERNRT_OK) {
    rc = report_failure("setting input 0", status);
    goto done;
  }
  if ((status = ternrt_interpreter_invoke(interpreter)) != TERNRT_OK) {
    rc = report_failure("invoke", status);
    goto done;
  }
  if ((status = ternrt_interpreter_output_info(interpreter, 0, &out_info)) != TERNRT_OK) {
    rc = report_failure("reading output 0", status);
    goto done;
  }
  if (out_info.type != TERNRT_F32 || out_info.bytes < sizeof(float)) {
    fprintf(stderr, "classify: %s: output '%s' must be float32 scores (type %d, %zu bytes)\n", model_path,
            out_info.name, (int)out_info.type, out_info.bytes);
    goto done;
  }
  scores = malloc(out_info.bytes);
  if (!scores) goto done;
  if ((status = ternrt_interpreter_get_output(interpreter, 0, scores, out_info.bytes)) != TERNRT_OK) {
    rc = report_failure("reading output 0", status);
    goto done;
  }

  /* 4. Top-K by repeated selection (K is small); ties keep the lower index first. */
  const size_t classes = out_info.bytes / sizeof(float);
  const char* labels = ternrt_model_metadata(model, "labels");
  if (labels && count_labels(labels) != classes) {
    fprintf(stderr, "classify: warning: metadata labels names %zu classes, the output has %zu; showing indices\n",
            count_labels(labels), classes);
    labels = NULL;
  }
  printf("model %s: input %dx%dx%d, %zu classes, ternary kernels: %s\n", model_path, (int)in_info.shape[1],
         (int)in_info.shape[2], (int)in_info.shape[3], classes, ternrt_interpreter_isa(interpreter));
  const size_t k = (size_t)top < classes ? (size_t)top : classes;
  unsigned char* taken = calloc(classes, 1);
  if (!taken) goto done;
  for (size_t rank = 0; rank < k; ++rank) {
    size_t best = classes;
    for (size_t i = 0; i < classes; ++i)
      if (!taken[i] && (best == classes || scores[i] > scores[best])) best = i;
    taken[best] = 1;
    char name[128];
    label_name(labels, best, name, sizeof name);
    printf("%zu. class %zu %s score %.6g\n", rank + 1, best, name[0] ? name : "-", scores[best]);
  }
  free(taken);
  rc = 0;

done:
  /* 5. The interpreter must go before the model it was created from. */
  free(scores);
  free(input);
  ternrt_interpreter_delete(interpreter);
  ternrt_model_delete(model);
  return rc;
}
