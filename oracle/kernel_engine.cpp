// kernel_engine.cpp - the live kernel as a lane (see kernel_engine.h).
#include "kernel_engine.h"

#include <exception>
#include <string>

#include "rmapcheck/checker.h"

namespace rmapcheck::oracle {

namespace {

class KernelEngine final : public Engine {
 public:
  KernelEngine(const KernelFiles& files, const LiveKernelOptions& options)
      : kernel_(files, options) {}

  EngineKind kind() const override { return EngineKind::Kernel; }
  const Coverage& coverage() const override { return coverage_; }

  Result apply(const Op& op) override {
    try {
      return kernel_.apply(op);
    } catch (const Unsupported& e) {
      throw LaneUnsupported(e.what());
    } catch (const EngineFault&) {
      throw;
    } catch (const std::exception& e) {
      throw EngineFault(std::string(kMachineryFailed) + e.what());
    }
  }

  Snapshot snapshot() const override {
    try {
      return kernel_.observe();
    } catch (const UnmodelledPage& e) {
      throw EngineFault(e.what());
    } catch (const std::exception& e) {
      throw EngineFault(std::string(kMachineryFailed) + e.what());
    }
  }

 private:
  mutable LiveKernel kernel_;  // observing asks the agents for values
  Coverage coverage_;          // the kernel counts no branches of ours
};

}  // namespace

std::unique_ptr<Engine> make_kernel_engine(const KernelFiles& files,
                                           const LiveKernelOptions& options) {
  return std::make_unique<KernelEngine>(files, options);
}

}  // namespace rmapcheck::oracle
