// Every case of the bad-model corpus (15 classes, docs/robustness.md) is rejected with its exact
// status and message fragment, from memory and from the committed corpus files; the control
// models load, create and run.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bad-models.h"

using namespace ternrt::robustness;

namespace {

void check_outcome(const std::string& name, const Outcome& r, ternrt_status status, const std::string& fragment) {
  INFO("case " << name);
  CHECK_MESSAGE(r.status == status, "status " << ternrt_status_name(r.status) << " (expected " << ternrt_status_name(status)
                                              << "): " << r.message);
  if (status == TERNRT_OK) {
    CHECK(r.invoked);
  } else {
    CHECK_MESSAGE(r.message.find(fragment) != std::string::npos, "message '" << r.message << "' lacks '" << fragment << "'");
  }
}

struct ManifestEntry {
  std::string klass, status, fragment;
  uint64_t max_arena_bytes = 0;
};

std::map<std::string, ManifestEntry> read_manifest(const std::string& dir) {
  std::map<std::string, ManifestEntry> entries;
  std::ifstream in(dir + "/MANIFEST.tsv");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string file, arena;
    ManifestEntry e;
    std::getline(fields, file, '\t');
    std::getline(fields, e.klass, '\t');
    std::getline(fields, e.status, '\t');
    std::getline(fields, arena, '\t');
    std::getline(fields, e.fragment);
    e.max_arena_bytes = std::stoull(arena);
    entries[file] = e;
  }
  return entries;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("the corpus covers all 15 bad-input classes") {
  std::map<std::string, int> per_class;
  for (const auto& m : bad_models()) per_class[m.klass]++;
  REQUIRE(bad_model_classes().size() == 15);
  for (const auto& klass : bad_model_classes()) {
    INFO("class " << klass);
    CHECK(per_class[klass] >= 3);
  }
  CHECK(per_class["valid"] >= 1);
}

TEST_CASE("each bad model is rejected with its status and message (from memory)") {
  const std::vector<BadModel> models = bad_models();
  std::set<std::string> names;
  for (const auto& m : models) {
    CHECK_MESSAGE(names.insert(m.name).second, "duplicate case name " << m.name);
    check_outcome(m.name, load_create_invoke(m.bytes.data(), m.bytes.size(), m.max_arena_bytes), m.status, m.fragment);
  }
  MESSAGE(models.size() << " corpus cases checked");
}

TEST_CASE("the committed corpus files match the generator and are rejected the same way (from files)") {
  const std::string dir = TERNRT_SOURCE_DIR "/tests/robustness/corpus";
  const auto manifest = read_manifest(dir);
  REQUIRE_MESSAGE(!manifest.empty(), "no " << dir << "/MANIFEST.tsv: run make-robustness-corpus");
  size_t expected_files = 0;
  for (const auto& m : bad_models()) {
    if (!m.in_corpus) continue;
    ++expected_files;
    const std::string file = m.name + ".tern";
    INFO("corpus file " << file);
    auto it = manifest.find(file);
    REQUIRE_MESSAGE(it != manifest.end(), "missing from MANIFEST.tsv; regenerate the corpus");
    CHECK(it->second.klass == m.klass);
    CHECK(it->second.status == ternrt_status_name(m.status));
    CHECK(it->second.fragment == m.fragment);
    const std::vector<uint8_t> bytes = read_file(dir + "/" + file);
    CHECK_MESSAGE(bytes == m.bytes, "file differs from the generator's output; regenerate the corpus");

    // Through the file API (mmap), then the interpreter with the same cap.
    ternrt_model* model = nullptr;
    Outcome r;
    r.status = ternrt_model_load_file((dir + "/" + file).c_str(), &model);
    if (r.status == TERNRT_OK) {
      ternrt_model_delete(model);
      r = load_create_invoke(bytes.data(), bytes.size(), it->second.max_arena_bytes);
    } else {
      r.message = ternrt_last_error();
      CHECK(model == nullptr);
      CHECK(r.message.find(dir + "/" + file) == 0);  // the message names the file
    }
    check_outcome(file, r, m.status, m.fragment);
  }
  CHECK(manifest.size() == expected_files);
}

TEST_CASE("a model size above the 2 GiB format limit is refused before reading past the header") {
  const std::vector<uint8_t> good = sweep_model();
  ternrt_model* model = nullptr;
  // Only the 8 header bytes may be read before the size check; the claimed size is a lie.
  CHECK(ternrt_model_load_memory(good.data(), size_t{3} << 30, &model) == TERNRT_INVALID_MODEL);
  CHECK(std::string(ternrt_last_error()).find("file of 3221225472 bytes exceeds the 2 GiB format limit") != std::string::npos);
  CHECK(model == nullptr);
}

TEST_CASE("C API argument errors are statuses, not crashes") {
  ternrt_model* model = nullptr;
  CHECK(ternrt_model_load_memory(nullptr, 10, &model) == TERNRT_INVALID_ARGUMENT);
  CHECK(ternrt_model_load_memory("x", 1, nullptr) == TERNRT_INVALID_ARGUMENT);
  CHECK(ternrt_model_load_file(nullptr, &model) == TERNRT_INVALID_ARGUMENT);
  CHECK(ternrt_model_load_file("/", &model) == TERNRT_IO_ERROR);
  CHECK(std::string(ternrt_last_error()).find("/: ") == 0);
  ternrt_interpreter* it = nullptr;
  CHECK(ternrt_interpreter_create(nullptr, nullptr, &it) == TERNRT_INVALID_ARGUMENT);
  CHECK(ternrt_interpreter_invoke(nullptr) == TERNRT_INVALID_ARGUMENT);
  CHECK(ternrt_interpreter_set_input(nullptr, 0, nullptr, 0) == TERNRT_INVALID_ARGUMENT);
  ternrt_tensor_info info;
  CHECK(ternrt_interpreter_input_info(nullptr, 0, &info) == TERNRT_INVALID_ARGUMENT);
  ternrt_model_delete(nullptr);
  ternrt_interpreter_delete(nullptr);

  const std::vector<uint8_t> good = sweep_model();
  REQUIRE(ternrt_model_load_memory(good.data(), good.size(), &model) == TERNRT_OK);
  REQUIRE(ternrt_interpreter_create(model, nullptr, &it) == TERNRT_OK);
  CHECK(ternrt_interpreter_input_info(it, 7, &info) == TERNRT_INVALID_ARGUMENT);
  CHECK(std::string(ternrt_last_error()).find("input index 7 out of range (model has 1)") != std::string::npos);
  CHECK(ternrt_interpreter_get_output(it, 0, nullptr, 24) == TERNRT_INVALID_ARGUMENT);
  CHECK(ternrt_interpreter_op_info(it, 99, nullptr) == TERNRT_INVALID_ARGUMENT);
  ternrt_interpreter_delete(it);
  ternrt_model_delete(model);
}
