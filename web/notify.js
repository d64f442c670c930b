// notify.js: the Notifications API for C++ (src/platform/notify.cpp).
//  [X] permission as a number (platform::NotifyPermission), requested with one completion
//  [X] shown through the service worker registration when one is active (Android has no
//      `new Notification()` in pages), else as a page Notification whose click focuses the tab
//  [X] every failure is logged and swallowed: a notification is never worth breaking the app

var LibraryPeddleNotify = {
  $PeddleNotify: {
    PERMISSION: { unsupported: 0, 'default': 1, granted: 2, denied: 3 }, // as platform::NotifyPermission
    pageNotifications: [], // shown with `new Notification()`, to close them later
    supported: function () { return typeof Notification === 'function'; },
    permission: function () {
      var N = PeddleNotify;
      if (!N.supported()) return N.PERMISSION.unsupported;
      var p = N.PERMISSION[Notification.permission];
      return p === undefined ? N.PERMISSION['default'] : p;
    },
    // The page's service worker registration once it has an active worker, or null. Whether
    // the worker controls this page yet does not matter for notifications (and Android has
    // no page notifications to fall back on).
    registration: function () {
      if (!('serviceWorker' in navigator)) return Promise.resolve(null);
      return navigator.serviceWorker.getRegistration().then(function (r) {
        return r && r.active && typeof r.showNotification === 'function' ? r : null;
      }, function () { return null; });
    },
  },

  pn_notify_permission__deps: ['$PeddleNotify'],
  pn_notify_permission: function () { return PeddleNotify.permission(); },

  pn_notify_request__deps: ['$PeddleNotify', 'pn_notify_permission_done'],
  pn_notify_request: function (id) {
    var N = PeddleNotify;
    var finish = function () { _pn_notify_permission_done(id, N.permission()); };
    if (!N.supported()) { setTimeout(finish, 0); return; }
    try {
      // Older Safari takes a callback and returns undefined instead of a Promise.
      var result = Notification.requestPermission(function () {});
      if (result && typeof result.then === 'function') result.then(finish, finish);
      else setTimeout(finish, 0);
    } catch (e) {
      console.warn('PeddleNet: notification permission:', e && e.message);
      setTimeout(finish, 0);
    }
  },

  pn_notify_show__deps: ['$PeddleNotify'],
  pn_notify_show: function (titlePtr, bodyPtr, tagPtr, renotify) {
    var N = PeddleNotify;
    if (N.permission() !== N.PERMISSION.granted) return;
    var title = UTF8ToString(titlePtr);
    var options = {
      body: UTF8ToString(bodyPtr),
      tag: UTF8ToString(tagPtr),
      renotify: !!renotify,
      icon: 'icon-192.png',
      badge: 'icon-192.png',
    };
    N.registration().then(function (registration) {
      if (registration) return registration.showNotification(title, options);
      var shown = new Notification(title, options);
      shown.onclick = function () { window.focus(); shown.close(); };
      shown.onclose = function () {
        var i = N.pageNotifications.indexOf(shown);
        if (i >= 0) N.pageNotifications.splice(i, 1);
      };
      N.pageNotifications.push(shown);
    }).catch(function (err) { console.warn('PeddleNet: notification not shown:', err && err.message); });
  },

  pn_notify_close_all__deps: ['$PeddleNotify'],
  pn_notify_close_all: function () {
    var N = PeddleNotify;
    N.pageNotifications.splice(0).forEach(function (n) { n.close(); });
    N.registration().then(function (registration) {
      if (!registration) return;
      return registration.getNotifications().then(function (list) {
        list.forEach(function (n) { n.close(); });
      });
    }).catch(function () { /* nothing to close */ });
  },
};

autoAddDeps(LibraryPeddleNotify, '$PeddleNotify');
mergeInto(LibraryManager.library, LibraryPeddleNotify);
