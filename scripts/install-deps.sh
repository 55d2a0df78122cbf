#!/usr/bin/env bash
# install-deps.sh — every Debian package imprint needs to build, test and run its demo.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config zlib1g-dev \
  libopenmpi-dev openmpi-bin libhdf5-openmpi-dev hdf5-tools \
  libopenblas-dev liblapacke-dev libcunit1-dev libyaml-dev libcjson-dev \
  dataset-fashion-mnist python3-h5py python3-numpy python3-sklearn librsvg2-bin bc \
  texlive-latex-base texlive-latex-recommended \
  libcairo2-dev fonts-dejavu-core poppler-utils chromium \
  python3-torch python3-torchvision python3-tqdm man-db \
  clang libclang-rt-14-dev valgrind python3-scipy python3-xarray python3-h5netcdf \
  slurm-wlm munge iproute2 \
  libmpich-dev mpich libhdf5-mpich-dev libblis-dev >/dev/null
# The last line is the second toolchain CI builds (scripts/test.sh: clang, MPICH, BLIS). Debian
# installs both MPIs and both parallel HDF5s side by side; the alternatives (plain mpicc,
# mpirun, h5pcc) choose by priority, Open MPI first. Should they point at MPICH, put them
# back: the default toolchain, demo.sh and other users' shells expect Open MPI there.
if [ -x /usr/bin/mpicc.openmpi ] && [ "$(readlink -f /usr/bin/mpirun)" != "$(readlink -f /usr/bin/mpirun.openmpi)" ]; then
  $SUDO update-alternatives --quiet --set mpi /usr/bin/mpicc.openmpi
  $SUDO update-alternatives --quiet --set mpirun /usr/bin/mpirun.openmpi
fi
echo "install-deps: done"
