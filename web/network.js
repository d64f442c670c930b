// network.js: network-change events for C++ (src/platform/network.cpp).

var LibraryPeddleNetwork = {
  $PeddleNetwork: { listening: false },

  pn_network_listen__deps: ['$PeddleNetwork', 'pn_network_changed'],
  pn_network_listen: function () {
    if (PeddleNetwork.listening) return;
    PeddleNetwork.listening = true;
    var changed = function () { _pn_network_changed(); };
    window.addEventListener('online', changed);
    if (navigator.connection && navigator.connection.addEventListener) {
      navigator.connection.addEventListener('change', changed);
    }
  },
};

autoAddDeps(LibraryPeddleNetwork, '$PeddleNetwork');
mergeInto(LibraryManager.library, LibraryPeddleNetwork);
