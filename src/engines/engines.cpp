// engines.cpp - make_engine(): the one place that knows every engine.
#include "rmapcheck/engine.h"

namespace rmapcheck {

std::string_view engine_kind_name(EngineKind k) {
  switch (k) {
    case EngineKind::Model:
      return "model";
    case EngineKind::Impl:
      return "impl";
  }
  return "?";
}

std::unique_ptr<Engine> make_engine(EngineKind kind, const EngineConfig& config) {
  switch (kind) {
    case EngineKind::Model:
#if defined(HAVE_RMAPCHECK_MODEL)
      return make_model_engine(config);
#else
      break;
#endif
    case EngineKind::Impl:
#if defined(HAVE_RMAPCHECK_IMPL)
      return make_impl_engine(config);
#else
      break;
#endif
  }
  throw std::runtime_error("engine '" + std::string(engine_kind_name(kind)) + "' is not built");
}

}  // namespace rmapcheck
