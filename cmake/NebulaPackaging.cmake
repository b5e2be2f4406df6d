# Debian packages with CPack: `cpack -G DEB` in a build directory writes
#   libnebula0     the shared library (what a node binary needs at run time)
#   libnebula-dev  headers, libnebula.a, the linker name, pkg-config, the CMake package
#   nebula-tools   nebulac, the installed nebula command (and the man pages)
# Installed with `apt-get install ./*.deb`; files go under /usr.
set(CPACK_PACKAGE_NAME nebula)
set(CPACK_PACKAGE_VENDOR "NebulaAPI for C")
set(CPACK_PACKAGE_CONTACT "NebulaAPI for C maintainers <nebula@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev tools)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # Depends: from the ELF files (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libnebula${PROJECT_VERSION_MAJOR})
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "NebulaAPI for C runtime library\nlibnebula moves the calls that nebulac routed at build time.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libnebula-dev)
# Building a node needs nebulac (nebula-tools) and links libnebula.a's own
# dependencies when linked statically.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libnebula${PROJECT_VERSION_MAJOR} (= ${PROJECT_VERSION}), nebula-tools (= ${PROJECT_VERSION}), libmsgpack-dev, libmicrohttpd-dev, libssl-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "NebulaAPI for C development files\nnebula.h, libnebula.a, pkg-config and the CMake package with nebula_add_node_executable().")

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME nebula-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION devel)
set(CPACK_COMPONENT_TOOLS_DESCRIPTION
    "NebulaAPI for C tools\nnebulac, the per-node source-to-source compiler, and nebula, a command-line\n generic node that lists and calls the APIs of any cluster.")

include(CPack)
