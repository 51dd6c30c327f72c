"""What is WeChat- or Alipay-specific and touches our data: logins with a platform code, the
face-verification dance, subscribe-notice template fields, notifications, card-pack passes.
Implements the interfaces the domain defines, on the clients of `channels`."""
