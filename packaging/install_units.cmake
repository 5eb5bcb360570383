# Install-time step (install(CODE) in CMakeLists.txt): the units name /usr/sbin/shipworm;
# the installed copies name the binary under the prefix of this installation, which CPack
# sets to /usr (CPACK_SET_DESTDIR) and `cmake --install --prefix P` to P.
# In: SHIPWORM_UNIT_SOURCES (list of unit files), SHIPWORM_UNIT_STAGING (a build directory),
#     SHIPWORM_SYSTEMD_UNITDIR (relative to the prefix).
set(staged)
foreach(unit IN LISTS SHIPWORM_UNIT_SOURCES)
  get_filename_component(name ${unit} NAME)
  file(READ ${unit} text)
  string(REPLACE "/usr/sbin/shipworm" "${CMAKE_INSTALL_PREFIX}/sbin/shipworm" text "${text}")
  file(WRITE ${SHIPWORM_UNIT_STAGING}/${name} "${text}")
  list(APPEND staged ${SHIPWORM_UNIT_STAGING}/${name})
endforeach()
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/${SHIPWORM_SYSTEMD_UNITDIR}" TYPE FILE
     PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ FILES ${staged})
