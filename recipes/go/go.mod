// The recipe's own module, for the kit's tests. In your backend, copy sessiontoken/ into your module instead.
module example.com/wxlogin

go 1.19
