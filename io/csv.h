// metrics.csv: one header line, then one row per logged step, flushed as written so a
// crashed or running job's file is readable. A resumed run appends to the same file; the
// header must then match, so two runs' columns never mix.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

namespace zg::io {

class CsvWriter {
 public:
  // append: keep existing rows (their header must equal `columns`); otherwise start afresh.
  CsvWriter(std::string path, std::vector<std::string> columns, bool append = false);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;
  void row(const std::vector<double>& values);  // one value per column
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::FILE* file_ = nullptr;
};

}  // namespace zg::io
