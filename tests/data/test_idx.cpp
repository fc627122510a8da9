// IDX reader: valid files of 1–4 dims raw and gzip'd, every header defect, truncation and
// byte flips (zg::Error, never a crash), load_mnist on synthetic directories, and the real
// Fashion-MNIST files checked against statistics numpy computed from them.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "data/idx.h"
#include "tests/check_error.h"
#include "tests/temp_dir.h"
#include "tests/test_util.h"

namespace zg::test {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes idx_bytes(const std::vector<uint32_t>& dims, uint8_t type = 0x08) {
  Bytes b{0, 0, type, static_cast<uint8_t>(dims.size())};
  uint64_t n = 1;
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
    n *= d;
  }
  for (uint64_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(i * 7 + 3));
  return b;
}

uint32_t crc32(const Bytes& b) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t x : b) {
    c ^= x;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

// A gzip member made of stored (uncompressed) deflate blocks of at most `block` bytes: valid
// gzip that needs no zlib in the tests.
Bytes gzip_stored(const Bytes& data, size_t block = 65535) {
  Bytes g{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
  size_t pos = 0;
  do {
    size_t n = std::min(block, data.size() - pos);
    bool last = pos + n == data.size();
    g.push_back(last ? 1 : 0);
    g.push_back(static_cast<uint8_t>(n));
    g.push_back(static_cast<uint8_t>(n >> 8));
    g.push_back(static_cast<uint8_t>(~n));
    g.push_back(static_cast<uint8_t>(~n >> 8));
    g.insert(g.end(), data.begin() + pos, data.begin() + pos + n);
    pos += n;
  } while (pos < data.size());
  uint32_t crc = crc32(data), len = static_cast<uint32_t>(data.size());
  for (int s = 0; s < 32; s += 8) g.push_back(static_cast<uint8_t>(crc >> s));
  for (int s = 0; s < 32; s += 8) g.push_back(static_cast<uint8_t>(len >> s));
  return g;
}

data::IdxArray parse(const Bytes& b) { return data::parse_idx(b.data(), b.size(), "x.idx"); }

void write_file(const std::string& path, const Bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), b.size());
}

TEST_CASE("idx: raw and gzip'd files of 1 to 4 dims") {
  for (auto dims : std::vector<std::vector<uint32_t>>{{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2}}) {
    Bytes raw = idx_bytes(dims);
    size_t header = 4 + 4 * dims.size();
    for (const Bytes& file : {raw, gzip_stored(raw), gzip_stored(raw, 7)}) {
      data::IdxArray a = parse(file);
      CHECK(a.dims == std::vector<int64_t>(dims.begin(), dims.end()));
      CHECK(a.data == Bytes(raw.begin() + header, raw.end()));
    }
  }
  // Concatenated gzip members decompress to the concatenation, as gunzip does.
  Bytes raw = idx_bytes({2, 3});
  Bytes two = gzip_stored(Bytes(raw.begin(), raw.begin() + 9));
  Bytes rest = gzip_stored(Bytes(raw.begin() + 9, raw.end()));
  two.insert(two.end(), rest.begin(), rest.end());
  CHECK(parse(two).data == Bytes(raw.begin() + 12, raw.end()));
  // read_idx from disk, both forms.
  TempDir dir;
  write_file(dir.file("a"), raw);
  write_file(dir.file("a.gz"), gzip_stored(raw));
  CHECK(data::read_idx(dir.file("a")).dims == std::vector<int64_t>{2, 3});
  CHECK(data::read_idx(dir.file("a.gz")).data == parse(raw).data);
}

TEST_CASE("idx: malformed files raise zg::Error naming the file and the defect") {
  CHECK_ZG_ERROR(parse({}), "x.idx", "0 bytes", "too short");
  CHECK_ZG_ERROR(parse({0, 0, 8}), "x.idx", "3 bytes", "too short");
  CHECK_ZG_ERROR(parse({1, 0, 8, 1, 0, 0, 0, 1, 5}), "x.idx", "bad magic", "byte 0", "0x01");
  CHECK_ZG_ERROR(parse(idx_bytes({2}, 0x0D)), "x.idx", "type code 0x0d (float32)", "not supported",
                 "0x08");
  CHECK_ZG_ERROR(parse(idx_bytes({2}, 0x0C)), "x.idx", "type code 0x0c (int32)");
  CHECK_ZG_ERROR(parse(idx_bytes({2}, 0x07)), "x.idx", "unknown IDX type code 0x07");
  CHECK_ZG_ERROR(parse({0, 0, 8, 0}), "x.idx", "0 dims", "1 to 4");
  CHECK_ZG_ERROR(parse(idx_bytes({1, 1, 1, 1, 1})), "x.idx", "5 dims", "1 to 4");
  CHECK_ZG_ERROR(parse({0, 0, 8, 2, 0, 0, 0, 1}), "x.idx", "needs 12 bytes", "has 8");
  CHECK_ZG_ERROR(parse({0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 0}), "x.idx", "dim 1 (bytes 8..11) is 0");
  Bytes big{0, 0, 8, 3};
  for (int i = 0; i < 3; ++i) big.insert(big.end(), {0x10, 0, 0, 0});  // 2^84 bytes
  CHECK_ZG_ERROR(parse(big), "x.idx", "declare more than 4294967296 bytes");
  Bytes shortd = idx_bytes({3, 4});
  shortd.resize(shortd.size() - 5);
  CHECK_ZG_ERROR(parse(shortd), "file x.idx", "expected 12 bytes of data after the header",
                 "found 7", "truncated");
  Bytes longd = idx_bytes({3, 4});
  longd.push_back(0);
  CHECK_ZG_ERROR(parse(longd), "x.idx", "expected 12 bytes", "found 13", "trailing bytes");
  CHECK_ZG_ERROR(parse(gzip_stored(shortd)), "x.idx (after gunzip)", "found 7");
  Bytes gz = gzip_stored(idx_bytes({3, 4}));
  Bytes gz_trail = gz;
  gz_trail.push_back(0);
  CHECK_ZG_ERROR(parse(gz_trail), "x.idx", "1 bytes after the end of the gzip stream");
  Bytes gz_cut(gz.begin(), gz.end() - 3);
  CHECK_ZG_ERROR(parse(gz_cut), "x.idx", "gzip stream is truncated");
  Bytes gz_bad = gz;
  gz_bad[gz_bad.size() - 6] ^= 0x40;  // the CRC
  CHECK_ZG_ERROR(parse(gz_bad), "x.idx", "gzip data is corrupt", "check");
  CHECK_ZG_ERROR(data::read_idx("/nonexistent/z.idx"), "read_idx", "/nonexistent/z.idx",
                 "No such file");
}

TEST_CASE("idx: every truncation and every header byte flip is an error; gzip flips never crash") {
  Bytes raw = idx_bytes({4, 3, 5});
  Bytes gz = gzip_stored(raw, 11);
  for (size_t len = 0; len < raw.size(); ++len)
    CHECK_THROWS_AS(parse(Bytes(raw.begin(), raw.begin() + len)), Error);
  for (size_t len = 0; len < gz.size(); ++len)
    CHECK_THROWS_AS(parse(Bytes(gz.begin(), gz.begin() + len)), Error);
  for (size_t pos = 0; pos < 16; ++pos)
    for (int flip : {0x01, 0x04, 0x20, 0x80, 0xff}) {
      Bytes bad = raw;
      bad[pos] ^= flip;
      CAPTURE(pos);
      CAPTURE(flip);
      CHECK_THROWS_AS(parse(bad), Error);
    }
  int errors = 0, parsed = 0;
  for (size_t pos = 0; pos < gz.size(); ++pos)
    for (int flip : {0x01, 0x10, 0x80}) {
      Bytes bad = gz;
      bad[pos] ^= flip;
      try {
        parse(bad);
        ++parsed;  // e.g. the gzip mtime or OS byte
      } catch (const Error&) {
        ++errors;
      } catch (const std::exception& e) {
        FAIL("non-zg exception at byte " << pos << ": " << e.what());
      }
    }
  MESSAGE("gzip byte flips: " << errors << " rejected, " << parsed << " still valid");
  CHECK(errors > 10 * parsed);
}

// Writes a small MNIST-style directory: n images of h×w, labels i % 10.
void write_mnist(const std::string& dir, const std::string& split, uint32_t n, uint32_t h,
                 uint32_t w, bool gz) {
  Bytes img = idx_bytes({n, h, w});
  Bytes lab{0, 0, 8, 1, 0, 0, 0, static_cast<uint8_t>(n)};
  for (uint32_t i = 0; i < n; ++i) lab.push_back(static_cast<uint8_t>(i % 10));
  write_file(dir + "/" + split + "-images-idx3-ubyte" + (gz ? ".gz" : ""),
             gz ? gzip_stored(img) : img);
  write_file(dir + "/" + split + "-labels-idx1-ubyte", lab);
}

TEST_CASE("load_mnist: tensors from a directory of IDX files, and its errors") {
  TempDir dir;
  const std::string d = dir.path().string();
  write_mnist(d, "train", 12, 3, 2, true);
  write_mnist(d, "t10k", 5, 3, 2, false);
  for (bool train : {true, false}) {
    data::ImageDataset ds = data::load_mnist(d, train);
    int64_t n = train ? 12 : 5;
    CHECK(ds.images.shape() == Shape{n, 1, 3, 2});
    CHECK(ds.images.dtype() == kFloat32);
    CHECK(ds.labels.shape() == Shape{n});
    CHECK(ds.labels.dtype() == kInt64);
    auto px = ds.images.to_vector<float>();
    for (size_t i = 0; i < px.size(); ++i)
      CHECK(px[i] == static_cast<float>(static_cast<uint8_t>(i * 7 + 3)) / 255.0f);
    auto lb = ds.labels.to_vector<int64_t>();
    for (int64_t i = 0; i < n; ++i) CHECK(lb[i] == i % 10);
  }
  // Counts that disagree, a label outside 0..9, wrong dims, missing files.
  write_file(d + "/t10k-labels-idx1-ubyte", {0, 0, 8, 1, 0, 0, 0, 4, 0, 1, 2, 3});
  CHECK_ZG_ERROR(data::load_mnist(d, false), "t10k-images-idx3-ubyte", "holds 5 images",
                 "t10k-labels-idx1-ubyte", "holds 4 labels");
  write_file(d + "/t10k-labels-idx1-ubyte", {0, 0, 8, 1, 0, 0, 0, 5, 0, 1, 2, 10, 3});
  CHECK_ZG_ERROR(data::load_mnist(d, false), "t10k-labels-idx1-ubyte", "label 10 at index 3");
  write_file(d + "/t10k-labels-idx1-ubyte", idx_bytes({5, 1}));
  CHECK_ZG_ERROR(data::load_mnist(d, false), "t10k-labels-idx1-ubyte", "dims [5, 1]",
                 "expected [N]");
  std::filesystem::remove(d + "/train-images-idx3-ubyte.gz");
  CHECK_ZG_ERROR(data::load_mnist(d, true), "load_mnist", d + "/train-images-idx3-ubyte.gz",
                 d + "/train-images-idx3-ubyte", "dataset-fashion-mnist",
                 "/usr/share/datasets/fashion-mnist");
  CHECK_ZG_ERROR(data::load_mnist(d + "/nope", false), "nope/t10k-images-idx3-ubyte.gz",
                 "dataset-fashion-mnist");
}

TEST_CASE("load_mnist: the real Fashion-MNIST (Debian's dataset-fashion-mnist)") {
  struct stat st {};
  if (::stat(data::kFashionMnistDir, &st) != 0) {
    WARN_MESSAGE(false, "SKIPPED: " << data::kFashionMnistDir
                                    << " is missing (apt-get install dataset-fashion-mnist)");
    return;
  }
  // Reference values: numpy's mean/std of the same files read with Python's gzip module, as
  // float32(pixel) / 255 like ours (so only the summation order differs).
  struct Want {
    bool train;
    int64_t n;
    double mean, std;
    std::vector<int64_t> first_labels;
  };
  for (const Want& w :
       {Want{false, 10000, 0.28684928596725223, 0.35244415829602793, {9, 2, 1, 1, 6}},
        Want{true, 60000, 0.2860406021939525, 0.3530242495426238, {9, 0, 0, 3, 0}}}) {
    data::ImageDataset ds = data::load_mnist(data::kFashionMnistDir, w.train);
    REQUIRE(ds.images.shape() == Shape{w.n, 1, 28, 28});
    REQUIRE(ds.labels.shape() == Shape{w.n});
    Tensor x = ds.images.to(kFloat64);
    CHECK(x.mean().item<double>() == doctest::Approx(w.mean).epsilon(1e-12));
    CHECK(x.std(false).item<double>() == doctest::Approx(w.std).epsilon(1e-9));
    CHECK(x.min().item<double>() == 0.0);
    CHECK(x.max().item<double>() == 1.0);
    auto lb = ds.labels.to_vector<int64_t>();
    CHECK(std::vector<int64_t>(lb.begin(), lb.begin() + 5) == w.first_labels);
    std::vector<int64_t> counts(10);
    for (int64_t l : lb) counts.at(l)++;
    CHECK(counts == std::vector<int64_t>(10, w.n / 10));  // both splits are balanced
  }
  auto names = data::fashion_mnist_classes();
  REQUIRE(names.size() == 10);
  CHECK(names[0] == "T-shirt/top");
  CHECK(names[9] == "Ankle boot");
}

}  // namespace
}  // namespace zg::test
