/// \file
/// CsvWriter: metrics.csv — one row per logged step, flushed as it is written, so a crashed
/// or running job's progress can be read (and plotted) at any time.
///
/// Resuming appends to the same file: the header must match (a run with different columns
/// is an error, not a silently misaligned file), and a partial last line — the crash
/// happened mid-write — is cut off before appending. truncate_csv_after() drops rows logged
/// after the checkpoint a run resumes from, so the file reads as if the run never stopped.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

namespace zg::io {

class CsvWriter {
 public:
  /// Column names: non-empty, no commas, quotes or line breaks. append = false truncates.
  CsvWriter(std::string path, std::vector<std::string> columns, bool append = false);
  ~CsvWriter();
  CsvWriter(const CsvWriter&) = delete;
  CsvWriter& operator=(const CsvWriter&) = delete;
  CsvWriter(CsvWriter&& o) noexcept;
  CsvWriter& operator=(CsvWriter&& o) noexcept;

  /// One value per column, written with shortest round-trip precision ("nan", "inf" as is).
  void row(const std::vector<double>& values);
  const std::vector<std::string>& columns() const { return columns_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::vector<std::string> columns_;
  std::FILE* f_ = nullptr;
};

/// Keeps the header and the rows whose first column is <= last (e.g. the checkpoint's step);
/// rewrites the file atomically. Returns the number of rows dropped. A missing file is fine (0).
int64_t truncate_csv_after(const std::string& path, double last);

/// A metrics file read back (for loss-curve plots): the header and every complete row, each
/// value parsed as a double. A row with the wrong number of fields or a non-number is an
/// error naming the file and line; a partial last line (a run killed mid-write) is skipped.
struct CsvTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> rows;
  std::vector<double> column(const std::string& name) const;  ///< error if absent
};
CsvTable read_csv(const std::string& path);

}  // namespace zg::io
