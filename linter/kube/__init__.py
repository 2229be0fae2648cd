"""What kube-apiserver serves: resources and their scopes, senders, apiserver flags."""
