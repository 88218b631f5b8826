/* ternrt: ternary-weight neural network inference for edge CPUs. Public C API.
 *
 * Objects and lifetimes
 *   ternrt_model        an immutable, verified model. Safe to share between threads; many
 *                       interpreters may be created from one model, in any thread.
 *   ternrt_interpreter  the execution state of one model (packed weights, activation arena,
 *                       operator plans). Used by one thread at a time. Must be deleted before
 *                       the model it was created from.
 *
 * Threads
 *   Functions that take only a model are thread-safe. Functions that take an interpreter may be
 *   called by one thread at a time per interpreter (the caller serializes); different
 *   interpreters, even of the same model, run concurrently without locks.
 *
 * Errors
 *   Every function that can fail returns ternrt_status. On failure a message naming the file,
 *   tensor or operator and what was expected is available from ternrt_last_error(), which is
 *   per thread and valid until the next ternrt call on the same thread. No C++ exception, abort or
 *   exit crosses this API. Output handles are set to NULL on failure. Functions returning a size
 *   or a string return 0 / "" / NULL for a NULL handle instead of failing.
 *
 * Versions
 *   TERNRT_VERSION_* (this header) and ternrt_version() (the library) follow MAJOR.MINOR.PATCH;
 *   before 1.0 a new MINOR may change the API. TERNRT_FORMAT_VERSION_* and
 *   ternrt_format_version() give the .tern format version the library reads.
 *
 * Strings are UTF-8 and NUL-terminated. Guide with a complete example: docs/api.md.
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
#define TERNRT_FORMAT_VERSION_MINOR 1

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

/* Version of the library as "MAJOR.MINOR.PATCH" (TERNRT_VERSION_* of the header it was built
 * with; compare them to detect a header/library mismatch). Static storage, never NULL.
 * Thread-safe; may be called before anything else. Cannot fail. */
TERNRT_API const char* ternrt_version(void);
/* Writes the model format version this library reads: a model loads when its major version equals
 * *major; any minor version is accepted (newer minors only add optional fields). Either pointer
 * may be NULL. Thread-safe. Cannot fail. */
TERNRT_API void ternrt_format_version(uint32_t* major, uint32_t* minor);
/* Short name of a status, e.g. "INVALID_MODEL" ("UNKNOWN" for a value outside the enum). Static
 * storage. Thread-safe. Cannot fail. */
TERNRT_API const char* ternrt_status_name(ternrt_status status);
/* The message of the last failed call on the calling thread, "" after a successful one. Owned by
 * the library; valid until the next call on the same thread of a function that returns a
 * ternrt_status (copy it to keep it). Per thread, so threads never see each other's errors. */
TERNRT_API const char* ternrt_last_error(void);

/* Loads a model file and verifies everything derived from it (format version, indices, shapes,
 * buffer ranges, ternary codes, operator parameters).
 *   path   file name (not NULL); the file is memory-mapped read-only, not read into memory.
 *   model  receives the new model, or NULL on failure (not NULL itself).
 * Ownership: the caller owns *model and releases it with ternrt_model_delete. The mapping lives
 * as long as the model: replacing the file (rename) is safe, modifying or truncating it in place
 * while the model exists is not (the process may get SIGBUS).
 * Errors: INVALID_ARGUMENT (NULL argument), IO_ERROR (cannot open or map), INVALID_MODEL
 * (malformed; the message names the file, tensor or operator), UNSUPPORTED (other major format
 * version, unknown operator), OUT_OF_MEMORY. Thread-safe. */
TERNRT_API ternrt_status ternrt_model_load_file(const char* path, ternrt_model** model);
/* Like ternrt_model_load_file, for a model already in memory (e.g. linked into the program).
 *   data, size  the .tern bytes; not copied: they must stay valid and unmodified until
 *               ternrt_model_delete. Weights are read in place where their layout allows.
 *   model       receives the new model, or NULL on failure.
 * Errors: INVALID_ARGUMENT, INVALID_MODEL, UNSUPPORTED, OUT_OF_MEMORY. Thread-safe. */
TERNRT_API ternrt_status ternrt_model_load_memory(const void* data, size_t size, ternrt_model** model);
/* Releases a model and its file mapping. Every interpreter created from it must have been deleted
 * first; pointers obtained from the model (metadata, tensor names and shapes) become invalid.
 * NULL is ignored. Not to be called while another thread uses the model. */
TERNRT_API void ternrt_model_delete(ternrt_model* model);
/* The metadata value the converter stored under key (e.g. "input.mean", "labels",
 * "source_layout"; ternrt-convert --metadata KEY=VALUE adds more), or NULL when the key is absent
 * or an argument is NULL. Owned by the model, valid until ternrt_model_delete. Thread-safe (the
 * model is immutable). */
TERNRT_API const char* ternrt_model_metadata(const ternrt_model* model, const char* key);

typedef struct ternrt_interpreter_options {
  uint32_t num_threads;        /* 0 or 1: run on the calling thread; N > 1: a pool of N threads */
  uint64_t max_arena_bytes;    /* 0: no limit; otherwise creation fails with OUT_OF_MEMORY above it */
  const char* isa;             /* NULL: best available; or force "scalar", "avx2", "avx512", "avx512vnni",
                                  "neon", "neondot" (must be supported by this CPU). TERNRT_ISA env too. */
  uint32_t flags;              /* TERNRT_FLAG_* bits */
  uint64_t max_memory_bytes;   /* 0: no limit; otherwise creation fails with OUT_OF_MEMORY, before
                                  allocating, when the arena plus operator scratch plus repacked
                                  weights would exceed it (XNNPACK's own buffers are not counted) */
} ternrt_interpreter_options;

/* Run ternary layers as float (weights dequantized to scale * trit at interpreter creation)
 * through XNNPACK: the same model in float, for accuracy and speed comparisons. */
#define TERNRT_FLAG_TERNARY_AS_FLOAT 1u
/* Give every tensor its own memory (no reuse by the planner) so intermediate tensors can be read
 * after invoke with ternrt_interpreter_tensor: for calibration and debugging; costs memory. */
#define TERNRT_FLAG_PRESERVE_ALL_TENSORS 2u
/* A model converted with static int8 activation ranges (ternrt-convert --static-int8) runs its
 * activations as int8 between layers by default (the static path). This flag ignores those ranges
 * and quantizes each ternary layer's input per invoke instead (the dynamic path, as for models
 * without ranges): for accuracy and speed comparisons. */
#define TERNRT_FLAG_DYNAMIC_ACTIVATIONS 4u
/* Trade memory for speed on kernels that have a one-byte-per-weight layout (AVX2): ternary layers
 * that multiply at least 64 rows per call (convolutions: batch x output pixels) keep their weights
 * expanded to one byte per trit instead of the 2-bit planes, which skips the unpacking in the inner
 * loop (12% more multiply-adds per second on the conv-like shapes of benchmarks/RESULTS.md) for 4x
 * the packed weight bytes of those layers (ternrt_interpreter_packed_weight_bytes). When that
 * would exceed max_memory_bytes, the interpreter is created with compact weights instead. No
 * effect on other ISAs; results are the same bytes either way. */
#define TERNRT_FLAG_EXPAND_WEIGHTS 8u

/* Fills options with the defaults: 1 thread, no arena cap, best ISA, no flags. Call it before
 * setting fields, so fields added in later versions get their defaults. NULL is ignored. */
TERNRT_API void ternrt_interpreter_options_init(ternrt_interpreter_options* options);
/* Creates the execution state for one model: plans the activation arena, creates the operators
 * (XNNPACK and ternary), packs weights for the chosen kernels and starts the thread pool.
 *   model        a loaded model (not NULL); it must outlive the interpreter. Many interpreters may
 *                share one model, created and used in different threads.
 *   options      NULL for the defaults; only read during the call.
 *   interpreter  receives the new interpreter, or NULL on failure.
 * Ownership: the caller owns *interpreter and releases it with ternrt_interpreter_delete.
 * Errors: INVALID_ARGUMENT (NULL argument, unknown or unsupported options->isa or TERNRT_ISA),
 * OUT_OF_MEMORY (allocation failed, arena above max_arena_bytes), UNSUPPORTED (a feature this
 * build or CPU lacks), INTERNAL. Thread-safe with respect to other interpreters and the model. */
TERNRT_API ternrt_status ternrt_interpreter_create(const ternrt_model* model,
                                                   const ternrt_interpreter_options* options,
                                                   ternrt_interpreter** interpreter);
/* Releases an interpreter, its arena, packed weights and thread pool. Pointers it returned (op
 * names, kernel names) become invalid. NULL is ignored. Not while another call uses it. */
TERNRT_API void ternrt_interpreter_delete(ternrt_interpreter* interpreter);

typedef struct ternrt_tensor_info {
  const char* name;      /* owned by the model */
  ternrt_type type;
  uint32_t rank;
  const int32_t* shape;  /* rank values, owned by the model */
  size_t bytes;          /* total size in bytes */
} ternrt_tensor_info;

/* Number of model inputs (0 for NULL). The counts and infos below come from the model, so they
 * may be called from any thread that does not delete the interpreter concurrently. */
TERNRT_API size_t ternrt_interpreter_input_count(const ternrt_interpreter* interpreter);
/* Number of model outputs (0 for NULL). */
TERNRT_API size_t ternrt_interpreter_output_count(const ternrt_interpreter* interpreter);
/* Describes input `index` (0 <= index < input count): name, type, shape (NHWC for images) and
 * byte size. The pointers in *info are owned by the model. Errors: INVALID_ARGUMENT (NULL
 * argument, index out of range). */
TERNRT_API ternrt_status ternrt_interpreter_input_info(const ternrt_interpreter* interpreter, size_t index,
                                                       ternrt_tensor_info* info);
/* Describes output `index`, as ternrt_interpreter_input_info. */
TERNRT_API ternrt_status ternrt_interpreter_output_info(const ternrt_interpreter* interpreter, size_t index,
                                                        ternrt_tensor_info* info);
/* Copies `bytes` bytes from data into input `index`; bytes must equal the input's info.bytes and
 * data is not kept after the call. Set every input before each invoke: the memory planner may
 * reuse an input's buffer for later tensors during invoke, so inputs do not survive it.
 * Errors: INVALID_ARGUMENT (NULL, index out of range, wrong byte count; the message names the
 * tensor, its shape and the expected size). One thread at a time per interpreter. */
TERNRT_API ternrt_status ternrt_interpreter_set_input(ternrt_interpreter* interpreter, size_t index,
                                                      const void* data, size_t bytes);
/* Runs the model on the current inputs (operators in order, on the interpreter's thread pool).
 * Everything was verified at load and creation, so invoke does no checks on the model.
 * Results do not depend on num_threads.
 * Errors: INVALID_ARGUMENT (NULL), INVALID_STATE (an input was never set; the message names it).
 * One thread at a time per interpreter; different interpreters run concurrently. */
TERNRT_API ternrt_status ternrt_interpreter_invoke(ternrt_interpreter* interpreter);
/* Copies output `index` into data; bytes must equal the output's info.bytes. The values are those
 * of the last successful invoke (unspecified before the first one) and remain until the next.
 * Errors: INVALID_ARGUMENT (NULL, index out of range, wrong byte count).
 * One thread at a time per interpreter. */
TERNRT_API ternrt_status ternrt_interpreter_get_output(const ternrt_interpreter* interpreter, size_t index,
                                                       void* data, size_t bytes);
/* Bytes of the activation arena after memory planning (buffers reused by lifetime). 0 for NULL. */
TERNRT_API size_t ternrt_interpreter_arena_bytes(const ternrt_interpreter* interpreter);

/* Operators as the interpreter runs them, for profiles and for checking which kernels were chosen. */
typedef struct ternrt_op_info {
  const char* name;    /* the source node's name (owned by the interpreter) */
  const char* type;    /* "CONV_2D", "FULLY_CONNECTED", ... */
  const char* kernel;  /* what executes it, e.g. "t2i8_gemm_4x16c4__avx2" or "xnnpack f32 conv" */
  int ternary;         /* 1 if the operator has ternary weights */
} ternrt_op_info;

/* Number of operators the interpreter runs (0 for NULL). */
TERNRT_API size_t ternrt_interpreter_op_count(const ternrt_interpreter* interpreter);
/* Describes operator `index` (0 <= index < op count). The strings are owned by the interpreter
 * and valid until ternrt_interpreter_delete. Errors: INVALID_ARGUMENT (NULL, index out of range). */
TERNRT_API ternrt_status ternrt_interpreter_op_info(const ternrt_interpreter* interpreter, size_t index,
                                                    ternrt_op_info* info);
/* The ISA the ternary kernels of this interpreter use ("avx512vnni", "neondot", "scalar", ...).
 * Static storage; "" for NULL. */
TERNRT_API const char* ternrt_interpreter_isa(const ternrt_interpreter* interpreter);
/* How this interpreter runs activations: "static" (int8 between layers with the model's ranges),
 * "dynamic" (float between layers, each ternary layer quantizes its input per invoke) or "float"
 * (TERNRT_FLAG_TERNARY_AS_FLOAT). Static storage; "" for NULL. */
TERNRT_API const char* ternrt_interpreter_activation_mode(const ternrt_interpreter* interpreter);
/* With profiling on (off by default), invoke records each operator's wall time (a clock read per
 * operator). NULL is ignored. One thread at a time per interpreter, like invoke. */
TERNRT_API void ternrt_interpreter_set_profiling(ternrt_interpreter* interpreter, int enable);
/* Nanoseconds operator `index` took in the last profiled invoke (0 when not profiled, for NULL or
 * an index out of range). */
TERNRT_API uint64_t ternrt_interpreter_op_time_ns(const ternrt_interpreter* interpreter, size_t index);
/* Threads operator `index` runs on: the pool's size when it uses the interpreter's thread pool, 1
 * when it runs on the calling thread (num_threads <= 1, an operator too small to split, or a model
 * too small to pay for waking the pool; docs/api.md "Threads"). 0 for NULL or an index out of range. */
TERNRT_API uint32_t ternrt_interpreter_op_threads(const ternrt_interpreter* interpreter, size_t index);
/* Bytes held by the weights the interpreter packed for its kernels at creation (besides the
 * model's own buffers). 0 for NULL. */
TERNRT_API size_t ternrt_interpreter_packed_weight_bytes(const ternrt_interpreter* interpreter);
/* Bytes of per-operator scratch buffers (besides the arena). 0 for NULL. */
TERNRT_API size_t ternrt_interpreter_scratch_bytes(const ternrt_interpreter* interpreter);
/* All tensors of the model (activations and constants, ternary weights excluded as `data`). */
TERNRT_API size_t ternrt_interpreter_tensor_count(const ternrt_interpreter* interpreter);
/* Info and contents of tensor `index` as of the last invoke (type TERNRT_I8 for an activation the
 * static path stores as int8; see ternrt_interpreter_tensor_quantization). *data stays valid until the next
 * invoke or the interpreter's deletion. Intermediate activations are readable only when the
 * interpreter was created with TERNRT_FLAG_PRESERVE_ALL_TENSORS (INVALID_STATE otherwise); graph
 * inputs, outputs and float constants always are. Ternary weight tensors give INVALID_ARGUMENT. On the
 * static int8 path a layer followed by a residual ADD adds the residual itself and writes the ADD's
 * output (docs/static-int8.md): its own output is never computed and gives INVALID_STATE, with or
 * without the flag. */
TERNRT_API ternrt_status ternrt_interpreter_tensor(const ternrt_interpreter* interpreter, size_t index,
                                                   ternrt_tensor_info* info, const void** data);
/* The int8 parameters of tensor `index` when this interpreter stores it as int8 (static path; its
 * ternrt_interpreter_tensor info then has type TERNRT_I8): real = scale * (q - zero_point).
 * Errors: INVALID_ARGUMENT (NULL, index out of range, or the tensor is not stored as int8). */
TERNRT_API ternrt_status ternrt_interpreter_tensor_quantization(const ternrt_interpreter* interpreter, size_t index,
                                                                float* scale, int32_t* zero_point);
/* Bytes of constant weights in the model as stored (2-bit ternary codes + scales, float weights).
 * 0 for NULL. Thread-safe. */
TERNRT_API size_t ternrt_model_weight_bytes(const ternrt_model* model);

#ifdef __cplusplus
}
#endif
#endif /* TERNRT_TERNRT_H_ */
