/* ternrt: ternary-weight neural network inference for edge CPUs. Public C API.
 *
 * Objects and lifetimes
 *   ternrt_model        an immutable, verified model. Safe to share between threads; many
 *                       interpreters may be created from one model, in any thread.
 *   ternrt_interpreter  the execution state of one model (packed weights, activation arena,
 *                       operator plans). Used by one thread at a time. Must be deleted before
 *                       the model it was created from.
 *
 * Errors
 *   Every function that can fail returns ternrt_status. On failure a message naming the file,
 *   tensor or operator and what was expected is available from ternrt_last_error(), which is
 *   per thread and valid until the next ternrt call on the same thread. No C++ exception, abort or
 *   exit crosses this API.
 *
 * Layouts
 *   Activations are NHWC float32 (or the type the tensor declares). Models converted from ONNX
 *   (NCHW) keep NHWC inside; ternrt-run and ternrt-eval accept NCHW .npy inputs and transpose.
 */
#ifndef TERNRT_TERNRT_H_
#define TERNRT_TERNRT_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(TERNRT_BUILDING_LIBRARY) && defined(__GNUC__)
#define TERNRT_API __attribute__((visibility("default")))
#else
#define TERNRT_API
#endif

#define TERNRT_VERSION_MAJOR 0
#define TERNRT_VERSION_MINOR 1
#define TERNRT_VERSION_PATCH 0
/* Model format versions this runtime reads: major must match, any minor is accepted. */
#define TERNRT_FORMAT_VERSION_MAJOR 1
#define TERNRT_FORMAT_VERSION_MINOR 0

typedef enum ternrt_status {
  TERNRT_OK = 0,
  TERNRT_INVALID_ARGUMENT = 1, /* a null pointer, bad index or size mismatch from the caller */
  TERNRT_INVALID_MODEL = 2,    /* the model file or buffer is malformed or inconsistent */
  TERNRT_UNSUPPORTED = 3,      /* well-formed, but uses a version/feature this runtime lacks */
  TERNRT_IO_ERROR = 4,         /* the file cannot be opened, read or mapped */
  TERNRT_OUT_OF_MEMORY = 5,    /* an allocation failed or a configured limit was exceeded */
  TERNRT_INVALID_STATE = 6,    /* e.g. invoke before every input was set */
  TERNRT_INTERNAL = 7,         /* a bug in ternrt; please report with the message */
} ternrt_status;

typedef enum ternrt_type {
  TERNRT_F32 = 0,
  TERNRT_I8 = 1,
  TERNRT_U8 = 2,
  TERNRT_I32 = 3,
} ternrt_type;

typedef struct ternrt_model ternrt_model;
typedef struct ternrt_interpreter ternrt_interpreter;

/* Returns "MAJOR.MINOR.PATCH" of the library. Static storage. */
TERNRT_API const char* ternrt_version(void);
/* Format version this library reads. */
TERNRT_API void ternrt_format_version(uint32_t* major, uint32_t* minor);
/* Short name of a status, e.g. "INVALID_MODEL". Static storage. */
TERNRT_API const char* ternrt_status_name(ternrt_status status);
/* The message of the last failed call on this thread ("" if none). */
TERNRT_API const char* ternrt_last_error(void);

/* Loads and verifies a model file (memory-mapped, read-only). *model receives the handle,
 * or NULL on failure. The file may be closed/replaced afterwards; the mapping stays valid. */
TERNRT_API ternrt_status ternrt_model_load_file(const char* path, ternrt_model** model);
/* Loads and verifies a model from memory. The buffer is not copied: it must stay valid and
 * unmodified until ternrt_model_delete. Weights are read in place where their layout allows. */
TERNRT_API ternrt_status ternrt_model_load_memory(const void* data, size_t size, ternrt_model** model);
/* Releases a model. Every interpreter created from it must have been deleted. NULL is ignored. */
TERNRT_API void ternrt_model_delete(ternrt_model* model);
/* Metadata value stored by the converter under key (e.g. "input.mean"), or NULL. Owned by the model. */
TERNRT_API const char* ternrt_model_metadata(const ternrt_model* model, const char* key);

typedef struct ternrt_interpreter_options {
  uint32_t num_threads;        /* 0 or 1: run on the calling thread; N > 1: a pool of N threads */
  uint64_t max_arena_bytes;    /* 0: no limit; otherwise creation fails with OUT_OF_MEMORY above it */
  const char* isa;             /* NULL: best available; or force "scalar", "avx2", "avx512", "avx512vnni",
                                  "neon", "neondot" (must be supported by this CPU). TERNRT_ISA env too. */
  uint32_t flags;              /* TERNRT_FLAG_* bits */
} ternrt_interpreter_options;

/* Run ternary layers as float (weights dequantized to scale * trit at interpreter creation)
 * through XNNPACK: the same model in float, for accuracy and speed comparisons. */
#define TERNRT_FLAG_TERNARY_AS_FLOAT 1u

/* Fills options with the defaults (1 thread, no arena cap, best ISA). */
TERNRT_API void ternrt_interpreter_options_init(ternrt_interpreter_options* options);
/* Creates an interpreter: plans memory, creates operators, packs weights. options may be NULL. */
TERNRT_API ternrt_status ternrt_interpreter_create(const ternrt_model* model,
                                                   const ternrt_interpreter_options* options,
                                                   ternrt_interpreter** interpreter);
TERNRT_API void ternrt_interpreter_delete(ternrt_interpreter* interpreter);

typedef struct ternrt_tensor_info {
  const char* name;      /* owned by the model */
  ternrt_type type;
  uint32_t rank;
  const int32_t* shape;  /* rank values, owned by the model */
  size_t bytes;          /* total size in bytes */
} ternrt_tensor_info;

TERNRT_API size_t ternrt_interpreter_input_count(const ternrt_interpreter* interpreter);
TERNRT_API size_t ternrt_interpreter_output_count(const ternrt_interpreter* interpreter);
TERNRT_API ternrt_status ternrt_interpreter_input_info(const ternrt_interpreter* interpreter, size_t index,
                                                       ternrt_tensor_info* info);
TERNRT_API ternrt_status ternrt_interpreter_output_info(const ternrt_interpreter* interpreter, size_t index,
                                                        ternrt_tensor_info* info);
/* Copies `bytes` bytes (must equal the input's size) into input `index`. */
TERNRT_API ternrt_status ternrt_interpreter_set_input(ternrt_interpreter* interpreter, size_t index,
                                                      const void* data, size_t bytes);
/* Runs the model on the current inputs. */
TERNRT_API ternrt_status ternrt_interpreter_invoke(ternrt_interpreter* interpreter);
/* Copies output `index` (bytes must equal its size) into data. */
TERNRT_API ternrt_status ternrt_interpreter_get_output(const ternrt_interpreter* interpreter, size_t index,
                                                       void* data, size_t bytes);
/* Bytes of the activation arena after memory planning (buffers reused by lifetime). */
TERNRT_API size_t ternrt_interpreter_arena_bytes(const ternrt_interpreter* interpreter);

/* Operators as the interpreter runs them, for profiles and for checking which kernels were chosen. */
typedef struct ternrt_op_info {
  const char* name;    /* the source node's name (owned by the interpreter) */
  const char* type;    /* "CONV_2D", "FULLY_CONNECTED", ... */
  const char* kernel;  /* what executes it, e.g. "t2i8_gemm_4x16c4__avx2" or "xnnpack f32 conv" */
  int ternary;         /* 1 if the operator has ternary weights */
} ternrt_op_info;

TERNRT_API size_t ternrt_interpreter_op_count(const ternrt_interpreter* interpreter);
TERNRT_API ternrt_status ternrt_interpreter_op_info(const ternrt_interpreter* interpreter, size_t index,
                                                    ternrt_op_info* info);
/* The ISA the ternary kernels of this interpreter use ("avx512vnni", "neondot", "scalar", ...). */
TERNRT_API const char* ternrt_interpreter_isa(const ternrt_interpreter* interpreter);
/* With profiling on (off by default), invoke records each operator's wall time. */
TERNRT_API void ternrt_interpreter_set_profiling(ternrt_interpreter* interpreter, int enable);
/* Nanoseconds operator `index` took in the last profiled invoke (0 when not profiled). */
TERNRT_API uint64_t ternrt_interpreter_op_time_ns(const ternrt_interpreter* interpreter, size_t index);
/* Bytes held by packed weights and per-operator scratch buffers (besides the arena). */
TERNRT_API size_t ternrt_interpreter_packed_weight_bytes(const ternrt_interpreter* interpreter);
TERNRT_API size_t ternrt_interpreter_scratch_bytes(const ternrt_interpreter* interpreter);
/* Bytes of constant weights in the model as stored (2-bit ternary codes + scales, float weights). */
TERNRT_API size_t ternrt_model_weight_bytes(const ternrt_model* model);

#ifdef __cplusplus
}
#endif
#endif /* TERNRT_TERNRT_H_ */
