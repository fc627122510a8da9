// run_tasks on the CPU: one OpenMP thread per worker, each with single-threaded OpenBLAS.
//
// Inside the region every primitive is single-threaded already (parallel_for runs inline when
// omp_in_parallel()), but OpenBLAS's pthreads build does not look at OpenMP: two workers
// calling a 2-thread sgemm at once would queue for its one pool. So OpenBLAS is set to one
// thread for the region and restored after it (a store and a lock when shrinking; no thread
// is created or joined).
#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <exception>

#include "tensor/cpu/cpu_backend.h"

namespace zg {

int CpuBackend::workers() const { return omp_in_parallel() ? 1 : omp_get_max_threads(); }

void CpuBackend::run_tasks(int64_t tasks, const std::function<void(int64_t, int)>& task) {
  const int w = static_cast<int>(std::min<int64_t>(workers(), tasks));
  if (w <= 1) {
    for (int64_t i = 0; i < tasks; ++i) task(i, 0);
    return;
  }
  const int blas_threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  std::exception_ptr error;  // an exception must not leave an OpenMP region
#pragma omp parallel num_threads(w)
  {
    const int me = omp_get_thread_num();
    const int64_t begin = tasks * me / w, end = tasks * (me + 1) / w;
    try {
      for (int64_t i = begin; i < end; ++i) task(i, me);
    } catch (...) {
#pragma omp critical(zg_run_tasks_error)
      if (!error) error = std::current_exception();
    }
  }
  openblas_set_num_threads(blas_threads);
  if (error) std::rethrow_exception(error);
}

}  // namespace zg
