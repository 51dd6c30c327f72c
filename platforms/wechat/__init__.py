"""WeChat: mini-program login and face verification, subscribe and template notices, the Official Account."""
