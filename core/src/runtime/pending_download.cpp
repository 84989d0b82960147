// ready_download (backend.h): a PendingDownload whose tensor already is in host memory.
#include <memory>

#include "dnassm/backend.h"
#include "dnassm/tensor.h"

namespace dnassm {

namespace {

class ReadyDownload final : public PendingDownload {
  public:
    explicit ReadyDownload(Tensor host) : host_(std::move(host)) {}
    Tensor wait() override { return std::move(host_); }

  private:
    Tensor host_;
};

}  // namespace

std::unique_ptr<PendingDownload> ready_download(const Tensor& host) {
    return std::make_unique<ReadyDownload>(host);
}

}  // namespace dnassm
