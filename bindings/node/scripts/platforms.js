'use strict'
// The platforms a prebuilt package is made for, with the npm fields that let
// npm pick the one that fits. A release builds each on its platform with
// `node scripts/platform-package.js <outdir>`; CI here builds linux-x64-gnu.
const PLATFORMS = [
  { name: 'linux-x64-gnu', os: ['linux'], cpu: ['x64'], libc: ['glibc'] },
  { name: 'linux-arm64-gnu', os: ['linux'], cpu: ['arm64'], libc: ['glibc'] },
  { name: 'linux-x64-musl', os: ['linux'], cpu: ['x64'], libc: ['musl'] },
  { name: 'darwin-arm64', os: ['darwin'], cpu: ['arm64'] },
  { name: 'darwin-x64', os: ['darwin'], cpu: ['x64'] },
  { name: 'win32-x64-msvc', os: ['win32'], cpu: ['x64'] },
]
module.exports = { PLATFORMS }
