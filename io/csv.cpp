#include "io/csv.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "tensor/error.h"

namespace zg::io {

CsvWriter::CsvWriter(std::string path, std::vector<std::string> columns, bool append)
    : path_(std::move(path)), columns_(std::move(columns)) {
  ZG_CHECK(!columns_.empty(), "CsvWriter {}: no columns", path_);
  std::string header = fmt::format("{}", fmt::join(columns_, ","));
  bool existing = append && std::filesystem::exists(path_);
  if (existing) {
    std::ifstream in(path_);
    std::string first;
    std::getline(in, first);
    ZG_CHECK(first == header,
             "CsvWriter {}: cannot append, its header is '{}' but this run writes '{}'", path_,
             first, header);
  }
  file_ = std::fopen(path_.c_str(), existing ? "a" : "w");
  ZG_CHECK(file_ != nullptr, "CsvWriter: cannot open {}: {}", path_, std::strerror(errno));
  if (!existing) fmt::print(file_, "{}\n", header);
  std::fflush(file_);
}

CsvWriter::~CsvWriter() {
  if (file_) std::fclose(file_);
}

void CsvWriter::row(const std::vector<double>& values) {
  ZG_CHECK(values.size() == columns_.size(), "CsvWriter {}: {} values for {} columns", path_,
           values.size(), columns_.size());
  // %.9g round-trips float32 values and prints integers (steps) without a fraction.
  std::string line;
  for (size_t i = 0; i < values.size(); ++i)
    line += fmt::format("{}{:.9g}", i ? "," : "", values[i]);
  fmt::print(file_, "{}\n", line);
  ZG_CHECK(std::fflush(file_) == 0, "CsvWriter {}: write failed: {}", path_, std::strerror(errno));
}

}  // namespace zg::io
